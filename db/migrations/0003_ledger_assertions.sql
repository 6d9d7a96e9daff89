-- Assertions for statements sent in one pipelined round trip (services/gateway/ledger/pipelined-writer.ts):
-- a statement that finds the chain head moved, or a fenced runtime row not updated, must abort its transaction
-- server-side, because the client only learns of results after COMMIT has been sent.
CREATE OR REPLACE FUNCTION pecr_require(ok boolean, message text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  IF ok IS NOT TRUE THEN
    RAISE EXCEPTION 'pecr_require failed: %', message USING ERRCODE = 'P0001';
  END IF;
  RETURN true;
END
$$;
