-- Resume and fork. A fork is a new run started from a checkpoint of another:
-- it keeps a link to its parent and to the checkpoint, and the checkpoint's
-- position, which outlives the checkpoint's row (retention may prune it).
ALTER TABLE runs ADD COLUMN parent_run_id INTEGER REFERENCES runs (id) ON DELETE SET NULL;
ALTER TABLE runs ADD COLUMN parent_checkpoint_id INTEGER REFERENCES checkpoints (id) ON DELETE SET NULL;
ALTER TABLE runs ADD COLUMN fork_epoch INTEGER; -- NULL: not a fork
ALTER TABLE runs ADD COLUMN fork_batch INTEGER;

CREATE INDEX runs_parent ON runs (parent_run_id);

-- A resume is a marker on a run's curve: where it continued after a stop
-- or an interruption, from which checkpoint.
CREATE TABLE resumes (
    id            INTEGER PRIMARY KEY,
    run_id        INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    checkpoint_id INTEGER REFERENCES checkpoints (id) ON DELETE SET NULL,
    epoch         INTEGER NOT NULL, -- the checkpoint's epoch and batch
    batch         INTEGER NOT NULL,
    x             REAL    NOT NULL, -- the fractional epoch on the curve, as loss_points.epoch
    resumed_at    INTEGER NOT NULL
) STRICT;

CREATE INDEX resumes_run ON resumes (run_id, id);
