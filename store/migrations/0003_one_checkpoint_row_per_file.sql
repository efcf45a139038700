-- Runs used to rewrite one checkpoint file after every epoch while keeping a
-- row per epoch, so older rows named a file that held later weights. Only
-- the newest row of each file tells what it holds; now every checkpoint has
-- a file of its own.
DELETE FROM checkpoints
WHERE id NOT IN (SELECT max(id) FROM checkpoints GROUP BY path);
