import Testing

/// Issue 12's end-to-end suites (one daemon per database, group operators, retention, regions, 403s,
/// schema versions), run one after another: each spawns daemons and CLIs, and together in parallel they
/// would load a 2-core machine enough to skew the timing of the other suites.
@Suite(.serialized) enum SharedServiceTests {}
