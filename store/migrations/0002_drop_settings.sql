-- The settings table was never used.
DROP TABLE settings;
