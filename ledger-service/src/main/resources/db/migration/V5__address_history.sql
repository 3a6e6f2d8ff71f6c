-- An address's history (GET /v1/ledger/addresses/{address}/transactions), newest first, in pages that cost their own
-- size whatever the address's past: what each transaction paid the address (its outputs, by the height that confirmed
-- them) and what it spent of it (the outputs it spent, by the height that confirmed the spend). A final transaction
-- not yet in a block sorts above every height. Building them scans the table and holds its writes meanwhile
-- (OPERATIONS.md, step 6: roll this version when the load is low).
CREATE INDEX utxo_received_by_key ON utxo (key_hash, (COALESCE(created_height, 9223372036854775807)), txid);
CREATE INDEX utxo_spent_by_key ON utxo (key_hash, (COALESCE(spent_height, 9223372036854775807)), spent_by) WHERE spent_by IS NOT NULL;
