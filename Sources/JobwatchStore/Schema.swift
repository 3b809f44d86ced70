import GRDB

/// The versioned schema. Times are integer milliseconds since 1970 (UTC), so the scheduler compares numbers.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            // One row per tracked job; identity = (account, api, project_id, job_id), project_id '' when none.
            try db.execute(
                sql: """
                    CREATE TABLE job (
                        id INTEGER PRIMARY KEY,
                        account TEXT NOT NULL,
                        api TEXT NOT NULL,
                        project_id TEXT NOT NULL DEFAULT '',
                        job_id TEXT NOT NULL,
                        region TEXT,
                        labels TEXT NOT NULL DEFAULT '{}',
                        sinks TEXT,
                        deadline_at INTEGER,
                        tracking TEXT NOT NULL DEFAULT 'active',
                        job_type TEXT,
                        status TEXT NOT NULL DEFAULT 'UNKNOWN',
                        provider_status TEXT,
                        progress REAL,
                        current_task TEXT,
                        begin_time TEXT,
                        end_time TEXT,
                        error_code TEXT,
                        fail_reason TEXT,
                        image_id TEXT,
                        image_name TEXT,
                        entities TEXT,
                        last_response TEXT,
                        registered_at INTEGER NOT NULL,
                        last_polled_at INTEGER,
                        next_poll_at INTEGER,
                        polls INTEGER NOT NULL DEFAULT 0,
                        unchanged_polls INTEGER NOT NULL DEFAULT 0,
                        failures INTEGER NOT NULL DEFAULT 0,
                        not_found_streak INTEGER NOT NULL DEFAULT 0,
                        last_error TEXT,
                        UNIQUE (account, api, project_id, job_id)
                    );
                    -- "Which jobs are due now" runs thousands of times an hour: a partial index of active jobs only.
                    CREATE INDEX job_due ON job (next_poll_at) WHERE tracking = 'active';
                    CREATE INDEX job_by_job_id ON job (job_id);

                    CREATE TABLE sub_job (
                        job_row INTEGER NOT NULL REFERENCES job (id) ON DELETE CASCADE,
                        position INTEGER NOT NULL,
                        sub_job_id TEXT NOT NULL,
                        job_type TEXT,
                        status TEXT NOT NULL,
                        provider_status TEXT,
                        begin_time TEXT,
                        end_time TEXT,
                        error_code TEXT,
                        fail_reason TEXT,
                        image_id TEXT,
                        image_name TEXT,
                        resource_id TEXT,
                        resource_name TEXT,
                        PRIMARY KEY (job_row, sub_job_id)
                    );

                    CREATE TABLE transition (
                        id INTEGER PRIMARY KEY,
                        job_row INTEGER NOT NULL REFERENCES job (id) ON DELETE CASCADE,
                        at INTEGER NOT NULL,
                        sub_job_id TEXT,
                        from_status TEXT,
                        to_status TEXT NOT NULL,
                        provider_status TEXT,
                        progress REAL,
                        current_task TEXT
                    );
                    CREATE INDEX transition_by_job ON transition (job_row, id);

                    -- The outbox: AUTOINCREMENT keeps sequences increasing even if the newest rows are ever deleted.
                    CREATE TABLE event (
                        sequence INTEGER PRIMARY KEY AUTOINCREMENT,
                        id TEXT NOT NULL UNIQUE,
                        job_row INTEGER NOT NULL REFERENCES job (id) ON DELETE CASCADE,
                        type TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        body TEXT NOT NULL
                    );
                    CREATE INDEX event_by_job ON event (job_row, type);
                    -- A terminal event exists at most once per job, whatever happens above.
                    CREATE UNIQUE INDEX event_terminal_once ON event (job_row) WHERE type IN (
                        'jobwatch.job.succeeded', 'jobwatch.job.failed', 'jobwatch.job.abnormal',
                        'jobwatch.job.expired', 'jobwatch.job.not_found');

                    CREATE TABLE delivery (
                        event_sequence INTEGER NOT NULL REFERENCES event (sequence) ON DELETE CASCADE,
                        sink TEXT NOT NULL,
                        state TEXT NOT NULL DEFAULT 'pending',
                        attempts INTEGER NOT NULL DEFAULT 0,
                        last_status INTEGER,
                        last_error TEXT,
                        next_attempt_at INTEGER,
                        delivered_at INTEGER,
                        PRIMARY KEY (event_sequence, sink)
                    );
                    CREATE INDEX delivery_due ON delivery (next_attempt_at) WHERE state = 'pending';

                    CREATE TABLE delivery_attempt (
                        id INTEGER PRIMARY KEY,
                        event_sequence INTEGER NOT NULL,
                        sink TEXT NOT NULL,
                        at INTEGER NOT NULL,
                        status INTEGER,
                        error TEXT,
                        duration_ms INTEGER NOT NULL,
                        FOREIGN KEY (event_sequence, sink) REFERENCES delivery (event_sequence, sink) ON DELETE CASCADE
                    );
                    """)
        }
        migrator.registerMigration("stall-alerts") { db in
            // When a poll last saw a change, and when the stall was announced (NULL while not stalled).
            try db.execute(
                sql: """
                    ALTER TABLE job ADD COLUMN last_change_at INTEGER;
                    ALTER TABLE job ADD COLUMN stalled_at INTEGER;
                    UPDATE job SET last_change_at = (SELECT MAX(at) FROM transition WHERE job_row = job.id);
                    """)
        }
        migrator.registerMigration("tracking-rounds") { db in
            // A job whose tracking ended without a verdict (expired, not_found, stopped) can be registered again:
            // each tracking round may end with its own terminal event, still at most one per round.
            try db.execute(
                sql: """
                    ALTER TABLE job ADD COLUMN round INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE event ADD COLUMN round INTEGER NOT NULL DEFAULT 0;
                    DROP INDEX event_terminal_once;
                    CREATE UNIQUE INDEX event_terminal_once ON event (job_row, round) WHERE type IN (
                        'jobwatch.job.succeeded', 'jobwatch.job.failed', 'jobwatch.job.abnormal',
                        'jobwatch.job.expired',
                        'jobwatch.job.not_found');
                    """)
        }
        migrator.registerMigration("retention") { db in
            // When tracking ended, so retention can find jobs that stopped being tracked long ago (an index of
            // the ended jobs only); the status line's dead count reads an index too, never the delivery table.
            try db.execute(
                sql: """
                    ALTER TABLE job ADD COLUMN ended_at INTEGER;
                    UPDATE job SET ended_at = COALESCE(last_polled_at, registered_at) WHERE tracking <> 'active';
                    CREATE INDEX job_ended ON job (ended_at) WHERE tracking <> 'active';
                    CREATE INDEX delivery_dead ON delivery (event_sequence) WHERE state = 'dead';
                    CREATE INDEX delivery_attempt_by_delivery ON delivery_attempt (event_sequence, sink);
                    """)
        }
        return migrator
    }
}
