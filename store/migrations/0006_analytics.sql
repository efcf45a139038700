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
