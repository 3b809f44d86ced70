import Foundation

/// The PostgreSQL schema, versioned in its own table `jobwatch_migration`. The tables mirror the SQLite ones
/// (times are integer milliseconds since 1970 UTC) plus what several daemons need: a lease (owner, token,
/// expiry) on jobs and deliveries, a counter row that hands out event sequences in commit order, and one
/// rate-slot row per account shared by all daemons.
enum PostgresSchema {
    struct Migration {
        var version: Int
        var name: String
        var sql: String

        /// One statement each (the extended protocol takes one at a time): split at a `;` ending a line.
        var statements: [String] {
            sql.components(separatedBy: ";\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                .filter { !$0.isEmpty && !$0.split(separator: "\n").allSatisfy { $0.hasPrefix("--") } }
                .map { $0.hasSuffix(";") ? String($0.dropLast()) : $0 }
        }
    }

    /// The channel the CLI notifies (register, unregister, redeliver) and daemons listen on.
    static let changeChannel = "jobwatch_changes"
    /// Serializes migrations of daemons and CLIs starting at once (`pg_advisory_xact_lock`).
    static let migrationLockKey: Int64 = 0x6A6F_6277_6174_6368  // "jobwatch"

    static let migrations: [Migration] = [
        Migration(
            version: 1, name: "jobs, history, events, deliveries, leases, rate slots",
            sql: """
                CREATE TABLE job (
                    id BIGSERIAL PRIMARY KEY,
                    account TEXT NOT NULL,
                    api TEXT NOT NULL,
                    project_id TEXT NOT NULL DEFAULT '',
                    job_id TEXT NOT NULL,
                    region TEXT,
                    labels TEXT NOT NULL DEFAULT '{}',
                    sinks TEXT,
                    deadline_at BIGINT,
                    tracking TEXT NOT NULL DEFAULT 'active',
                    job_type TEXT,
                    status TEXT NOT NULL DEFAULT 'UNKNOWN',
                    provider_status TEXT,
                    progress DOUBLE PRECISION,
                    current_task TEXT,
                    begin_time TEXT,
                    end_time TEXT,
                    error_code TEXT,
                    fail_reason TEXT,
                    image_id TEXT,
                    image_name TEXT,
                    entities TEXT,
                    last_response TEXT,
                    registered_at BIGINT NOT NULL,
                    last_polled_at BIGINT,
                    next_poll_at BIGINT,
                    polls BIGINT NOT NULL DEFAULT 0,
                    unchanged_polls BIGINT NOT NULL DEFAULT 0,
                    failures BIGINT NOT NULL DEFAULT 0,
                    not_found_streak BIGINT NOT NULL DEFAULT 0,
                    last_error TEXT,
                    last_change_at BIGINT,
                    stalled_at BIGINT,
                    round BIGINT NOT NULL DEFAULT 0,
                    ended_at BIGINT,
                    lease_owner TEXT,
                    lease_token BIGINT NOT NULL DEFAULT 0,
                    lease_expires_at BIGINT NOT NULL DEFAULT 0,
                    UNIQUE (account, api, project_id, job_id)
                );
                CREATE INDEX job_due ON job (next_poll_at) WHERE tracking = 'active';
                CREATE INDEX job_leased ON job (lease_expires_at) WHERE tracking = 'active' AND lease_owner IS NOT NULL;
                CREATE INDEX job_by_job_id ON job (job_id);
                CREATE INDEX job_ended ON job (ended_at) WHERE tracking <> 'active';

                CREATE TABLE sub_job (
                    job_row BIGINT NOT NULL REFERENCES job (id) ON DELETE CASCADE,
                    position BIGINT NOT NULL,
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
                    id BIGSERIAL PRIMARY KEY,
                    job_row BIGINT NOT NULL REFERENCES job (id) ON DELETE CASCADE,
                    at BIGINT NOT NULL,
                    sub_job_id TEXT,
                    from_status TEXT,
                    to_status TEXT NOT NULL,
                    provider_status TEXT,
                    progress DOUBLE PRECISION,
                    current_task TEXT
                );
                CREATE INDEX transition_by_job ON transition (job_row, id);

                -- Sequences come from this one row, locked until commit: a sequence is visible only once every
                -- smaller one is, so `events --since N` never skips an event committed late.
                CREATE TABLE event_counter (
                    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
                    last_sequence BIGINT NOT NULL
                );
                INSERT INTO event_counter (singleton, last_sequence) VALUES (TRUE, 0);

                CREATE TABLE event (
                    sequence BIGINT PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    job_row BIGINT NOT NULL REFERENCES job (id) ON DELETE CASCADE,
                    type TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    body TEXT NOT NULL,
                    round BIGINT NOT NULL DEFAULT 0
                );
                CREATE INDEX event_by_job ON event (job_row, type);
                -- A terminal event exists at most once per job and tracking round, whichever daemon records it.
                CREATE UNIQUE INDEX event_terminal_once ON event (job_row, round) WHERE type IN (
                    'jobwatch.job.succeeded', 'jobwatch.job.failed', 'jobwatch.job.abnormal', 'jobwatch.job.expired',
                    'jobwatch.job.not_found');

                CREATE TABLE delivery (
                    event_sequence BIGINT NOT NULL REFERENCES event (sequence) ON DELETE CASCADE,
                    sink TEXT NOT NULL,
                    state TEXT NOT NULL DEFAULT 'pending',
                    attempts BIGINT NOT NULL DEFAULT 0,
                    last_status BIGINT,
                    last_error TEXT,
                    next_attempt_at BIGINT,
                    delivered_at BIGINT,
                    lease_owner TEXT,
                    lease_token BIGINT NOT NULL DEFAULT 0,
                    lease_expires_at BIGINT NOT NULL DEFAULT 0,
                    PRIMARY KEY (event_sequence, sink)
                );
                CREATE INDEX delivery_due ON delivery (next_attempt_at) WHERE state = 'pending';
                CREATE INDEX delivery_dead ON delivery (event_sequence) WHERE state = 'dead';
                CREATE INDEX delivery_leased ON delivery (lease_expires_at) WHERE state = 'pending'
                    AND lease_owner IS NOT NULL;

                CREATE TABLE delivery_attempt (
                    id BIGSERIAL PRIMARY KEY,
                    event_sequence BIGINT NOT NULL,
                    sink TEXT NOT NULL,
                    at BIGINT NOT NULL,
                    status BIGINT,
                    error TEXT,
                    duration_ms BIGINT NOT NULL,
                    FOREIGN KEY (event_sequence, sink) REFERENCES delivery (event_sequence, sink) ON DELETE CASCADE
                );
                CREATE INDEX delivery_attempt_by_delivery ON delivery_attempt (event_sequence, sink);

                -- One row per account: the next free request slot on the account's shared timeline.
                CREATE TABLE rate_slot (
                    account TEXT PRIMARY KEY,
                    next_slot_at DOUBLE PRECISION NOT NULL
                );
                """)
    ]
}
