-- Proof of service (issue 24): proven_height is the block named by a masternode's latest activation or renewal in a
-- block; expired_from is the epoch boundary from which it is out of the set for not proving (cleared when it activates
-- again). Existing rows count as proven when they were activated or registered.
ALTER TABLE masternode ADD COLUMN proven_height BIGINT NOT NULL DEFAULT 0;
ALTER TABLE masternode ADD COLUMN expired_from BIGINT;
UPDATE masternode SET proven_height = COALESCE(activated_height, registered_height);
