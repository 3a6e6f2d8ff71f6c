-- The confirmed supply (sum of the UTXOs created by a block and not spent by one), kept per block like the UTXO
-- commitment: summing the utxo table, spent history included, on every chain read grew with the chain.
ALTER TABLE chain_state ADD COLUMN confirmed_supply BIGINT;
UPDATE chain_state SET confirmed_supply = (SELECT COALESCE(SUM(amount), 0) FROM utxo WHERE created_height IS NOT NULL AND state <> 4);
ALTER TABLE chain_state ALTER COLUMN confirmed_supply SET NOT NULL;
