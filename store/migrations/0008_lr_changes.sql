-- Live learning-rate changes: a marker on a run's curve where the user
-- changed the rate while it trained, and the schedule's scale from there.
CREATE TABLE lr_changes (
    id     INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    x      REAL    NOT NULL, -- the fractional epoch on the curve, as loss_points.epoch
    lr     REAL    NOT NULL,
    scale  REAL    NOT NULL
) STRICT;

CREATE INDEX lr_changes_run ON lr_changes (run_id, id);
