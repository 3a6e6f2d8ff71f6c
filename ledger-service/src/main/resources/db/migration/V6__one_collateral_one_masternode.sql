-- One collateral, one masternode; one node key, one registration (issue 24). A registration pending or final here
-- claims its node key and collateral until it is rejected or released (status 4, 5) or its block makes it a masternode.
ALTER TABLE tx ADD COLUMN mn_node_key bytea, ADD COLUMN mn_collateral bytea;
CREATE UNIQUE INDEX tx_claimed_node_key ON tx (mn_node_key) WHERE status IN (1, 2) AND mn_node_key IS NOT NULL;
CREATE UNIQUE INDEX tx_claimed_collateral ON tx (mn_collateral) WHERE status IN (1, 2) AND mn_collateral IS NOT NULL;
-- the schema's own guarantee, whatever a block says: a collateral backs at most one masternode (Free nodes have none)
CREATE UNIQUE INDEX masternode_collateral_once ON masternode (collateral_txid, collateral_idx) WHERE tier <> 0;
