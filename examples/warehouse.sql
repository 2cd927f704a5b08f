-- Example warehouse for the embedded default (SQLite): 1,000 product-qualified leads.
-- Build it with: sqlite3 examples/warehouse.sqlite < examples/warehouse.sql
-- The same file loads into MariaDB/MySQL for examples/pql_mysql_to_webhook.json, with || as
-- concatenation: (echo "SET sql_mode = CONCAT(@@sql_mode, ',PIPES_AS_CONCAT');"; cat
-- examples/warehouse.sql) | mariadb DATABASE
DROP TABLE IF EXISTS pql;
CREATE TABLE pql (
  account_id   INTEGER NOT NULL,
  email        TEXT    NOT NULL,
  first_name   TEXT,
  pql_score    REAL,
  health_tier  TEXT,
  is_customer  BOOLEAN,
  updated_at   TIMESTAMP
);
INSERT INTO pql
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
SELECT 1000 + (i % 250),
       'user' || i || '@example.com',
       'User ' || i,
       round((i * 37 % 1000) / 10.0, 1),
       CASE i % 3 WHEN 0 THEN 'green' WHEN 1 THEN 'yellow' ELSE 'red' END,
       i % 5 = 0,
       '2026-11-0' || (1 + i % 9) || ' 08:00:00'
FROM n;
-- What dbt builds on it (examples/dbt, the model product_qualified_leads): a view.
DROP VIEW IF EXISTS product_qualified_leads;
CREATE VIEW product_qualified_leads AS
  SELECT email, first_name, pql_score, health_tier, is_customer, updated_at FROM pql;
