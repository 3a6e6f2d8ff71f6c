-- Activation (issue 24): a registered masternode enters the set only once a block holds its activation (its node key
-- signing a recent block); until then active_from is NULL. Existing masternodes stay active.
ALTER TABLE masternode ALTER COLUMN active_from DROP NOT NULL;
ALTER TABLE masternode ADD COLUMN activated_height BIGINT;
