-- Example warehouse for examples/pql_clickhouse_to_webhook.json: examples/warehouse.sql's 1,000
-- product-qualified leads in ClickHouse SQL (18.16 and later). Load it into a database with:
--   clickhouse-client --query "CREATE DATABASE IF NOT EXISTS backflow_example"
--   clickhouse-client --database backflow_example --multiquery < examples/warehouse.clickhouse.sql
DROP TABLE IF EXISTS pql;
CREATE TABLE pql (
  account_id   UInt32,
  email        String,
  first_name   Nullable(String),
  pql_score    Nullable(Float64),
  health_tier  Nullable(String),
  is_customer  UInt8,
  updated_at   DateTime
) ENGINE = MergeTree ORDER BY email;
INSERT INTO pql
SELECT 1000 + (i % 250),
       concat('user', toString(i), '@example.com'),
       concat('User ', toString(i)),
       round((i * 37 % 1000) / 10.0, 1),
       multiIf(i % 3 = 0, 'green', i % 3 = 1, 'yellow', 'red'),
       i % 5 = 0,
       toDateTime(concat('2026-11-0', toString(1 + i % 9), ' 08:00:00'))
FROM (SELECT number + 1 AS i FROM numbers(1000));
