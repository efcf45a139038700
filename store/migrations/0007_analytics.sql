-- What each epoch's evaluation found beyond its accuracy. Kept apart from
-- epoch_results so that a row stays small: the matrix is about 300 bytes of
-- JSON, the bitset 1,250 bytes for the 10,000 test images.

-- The confusion matrix: [true class][predicted class] counts, JSON.
CREATE TABLE confusion_matrices (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    epoch  INTEGER NOT NULL,
    matrix TEXT    NOT NULL,
    PRIMARY KEY (run_id, epoch)
) STRICT;

-- Which test images were right: bit i (byte i/8, bit i%8) for image i.
CREATE TABLE epoch_correct (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    epoch  INTEGER NOT NULL,
    images INTEGER NOT NULL, -- bits that count
    bits   BLOB    NOT NULL,
    PRIMARY KEY (run_id, epoch)
) STRICT;

-- Training-health warnings (fmnist.Warning), in the order they were found.
CREATE TABLE warnings (
    id      INTEGER PRIMARY KEY,
    run_id  INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    kind    TEXT    NOT NULL,
    epoch   INTEGER NOT NULL,
    batch   INTEGER NOT NULL,
    x       REAL    NOT NULL, -- where on the loss curve, as loss_points.epoch
    message TEXT    NOT NULL,
    time    INTEGER NOT NULL
) STRICT;

CREATE INDEX warnings_run ON warnings (run_id, id);
