-- Reserved for the branch that adds per-batch learning rates (i11-recipes):
-- migrations must be numbered without gaps, and 0006 is the analytics one.
-- When that branch's 0005 is merged, this file goes.
SELECT 1;
