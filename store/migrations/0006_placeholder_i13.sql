-- Placeholder on branch i13-bundle only: version 0006 belongs to another branch
-- (i11-recipes / i12-analytics). Delete this file when merging theirs.
SELECT 1;
