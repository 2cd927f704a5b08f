-- Example warehouse for examples/pql_redshift_to_webhook.json: the same 1,000 product-qualified
-- leads as warehouse.sql, in SQL both Amazon Redshift and PostgreSQL run (the examples test loads
-- it into the test PostgreSQL): VARCHAR rather than TEXT (Redshift's TEXT is VARCHAR(256)),
-- numbers cast before ||, the timestamp cast from its text, a recursive CTE (Redshift has them).
-- Load it: psql "host=CLUSTER.REGION.redshift.amazonaws.com port=5439 dbname=dev user=..." \
--   -f examples/warehouse.redshift.sql
DROP TABLE IF EXISTS pql;
CREATE TABLE pql (
  account_id   INTEGER      NOT NULL,
  email        VARCHAR(256) NOT NULL,
  first_name   VARCHAR(256),
  pql_score    REAL,
  health_tier  VARCHAR(16),
  is_customer  BOOLEAN,
  updated_at   TIMESTAMP
);
INSERT INTO pql
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
SELECT 1000 + (i % 250),
       'user' || CAST(i AS VARCHAR) || '@example.com',
       'User ' || CAST(i AS VARCHAR),
       round((i * 37 % 1000) / 10.0, 1),
       CASE i % 3 WHEN 0 THEN 'green' WHEN 1 THEN 'yellow' ELSE 'red' END,
       i % 5 = 0,
       CAST('2026-11-0' || CAST(1 + i % 9 AS VARCHAR) || ' 08:00:00' AS TIMESTAMP)
FROM n;
