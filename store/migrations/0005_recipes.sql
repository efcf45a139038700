-- Training recipes: the learning rate in use at each loss point (NULL for
-- runs stored before schedules existed), and each epoch's accuracy and loss
-- on the held-out validation images (NULL when the run held none out).
ALTER TABLE loss_points ADD COLUMN lr REAL;
ALTER TABLE epoch_results ADD COLUMN val_images INTEGER NOT NULL DEFAULT 0;
ALTER TABLE epoch_results ADD COLUMN val_accuracy REAL;
ALTER TABLE epoch_results ADD COLUMN val_loss REAL;
