-- Initial schema. Times are Unix milliseconds (UTC). A NULL in a REAL column
-- that holds a loss means NaN: SQLite cannot store NaN and turns it into NULL.

CREATE TABLE runs (
    id            INTEGER PRIMARY KEY,
    config        TEXT    NOT NULL, -- ml.Config as JSON
    status        TEXT    NOT NULL,
    reason        TEXT    NOT NULL DEFAULT '',
    started_at    INTEGER NOT NULL,
    ended_at      INTEGER,          -- NULL while the run is going
    epochs_done   INTEGER NOT NULL DEFAULT 0,
    test_accuracy REAL,             -- of the latest evaluated epoch
    test_loss     REAL
) STRICT;

CREATE INDEX runs_status ON runs (status);

CREATE TABLE loss_points (
    id     INTEGER PRIMARY KEY, -- insertion order is curve order
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    epoch  REAL    NOT NULL,    -- fractional epoch, see ml.LossPoint
    loss   REAL
) STRICT;

CREATE INDEX loss_points_run ON loss_points (run_id, id);

CREATE TABLE epoch_results (
    run_id         INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    epoch          INTEGER NOT NULL,
    test_accuracy  REAL,
    test_loss      REAL,
    train_loss     REAL,
    images_per_sec REAL,
    seconds        REAL,
    PRIMARY KEY (run_id, epoch)
) STRICT, WITHOUT ROWID;

CREATE TABLE logs (
    id      INTEGER PRIMARY KEY,
    run_id  INTEGER REFERENCES runs (id) ON DELETE SET NULL, -- NULL: not tied to a run
    time    INTEGER NOT NULL,
    level   TEXT    NOT NULL,
    message TEXT    NOT NULL
) STRICT;

CREATE INDEX logs_run ON logs (run_id, id);

CREATE TABLE checkpoints (
    id            INTEGER PRIMARY KEY,
    run_id        INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    path          TEXT    NOT NULL,
    epoch         INTEGER NOT NULL,
    batch         INTEGER NOT NULL,
    test_accuracy REAL,             -- the run's accuracy when the checkpoint was saved
    created_at    INTEGER NOT NULL
) STRICT;

CREATE INDEX checkpoints_run ON checkpoints (run_id, id);

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
