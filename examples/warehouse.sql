-- Example warehouse for the embedded default (SQLite): 1,000 product-qualified leads.
-- Build it with: sqlite3 examples/warehouse.sqlite < examples/warehouse.sql
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
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
INSERT INTO pql
SELECT 1000 + (i % 250),
       'user' || i || '@example.com',
       'User ' || i,
       round((i * 37 % 1000) / 10.0, 1),
       CASE i % 3 WHEN 0 THEN 'green' WHEN 1 THEN 'yellow' ELSE 'red' END,
       i % 5 = 0,
       '2026-11-0' || (1 + i % 9) || ' 08:00:00'
FROM n;
