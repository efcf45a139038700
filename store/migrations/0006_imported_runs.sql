-- Imported runs. A run is trained here or imported from a bundle; an
-- imported run keeps where it was made (the bundle's app version, kernel
-- path and dataset hashes, as JSON) so that Reproduce can check them.
ALTER TABLE runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'trained';
ALTER TABLE runs ADD COLUMN origin TEXT; -- JSON of fmnist.RunOrigin; NULL for a run trained here
