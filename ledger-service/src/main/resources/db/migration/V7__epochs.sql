-- Validator-set epochs (issue 24): a registration or a collateral spend takes effect at the next epoch boundary, and
-- the ledger keeps each epoch's voters, so a block may carry certificates of any earlier epoch across changes.
ALTER TABLE masternode ADD COLUMN active_from BIGINT, ADD COLUMN removed_from BIGINT;
UPDATE masternode SET active_from = registered_height + 1;
ALTER TABLE masternode ALTER COLUMN active_from SET NOT NULL;
CREATE TABLE validator_epoch (
    epoch        BIGINT PRIMARY KEY,  -- the boundary height at which it began
    voters       BYTEA  NOT NULL,     -- list<key ‖ u8 tier ‖ keyhash ‖ OutPoint> (StackRecords.writeMembers)
    joint_voters BYTEA                -- the voters before the change that began it, while joint; NULL when settled
);
