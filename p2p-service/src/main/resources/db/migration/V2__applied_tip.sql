-- The last blocks.applied record has the table and columns every service keeps it in (service-support's AppliedTip).
ALTER TABLE chain_view RENAME TO applied_tip;
ALTER TABLE applied_tip RENAME COLUMN applied TO record;
