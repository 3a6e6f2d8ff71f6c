-- The confirmed supply (sum of the UTXOs created by a block and not spent by one), kept per block like the UTXO
-- commitment: summing the utxo table, spent history included, on every chain read grew with the chain.
-- supply_height is the height it was kept at: a ledger of an older version, still applying blocks during a rollout,
-- moves applied_height without it, and the next block applied by this version sums the table once instead.
ALTER TABLE chain_state ADD COLUMN confirmed_supply BIGINT, ADD COLUMN supply_height BIGINT;
UPDATE chain_state SET supply_height = applied_height,
    confirmed_supply = (SELECT COALESCE(SUM(amount), 0) FROM utxo WHERE created_height IS NOT NULL AND state <> 4);
