-- A day in the warehouse: one account's 4 leads change score, 3 leads churn out, 2 new ones arrive.
UPDATE pql SET pql_score = pql_score + 5, updated_at = '2026-11-24 09:00:00' WHERE account_id = 1007;
DELETE FROM pql WHERE email IN ('user998@example.com', 'user999@example.com', 'user1000@example.com');
INSERT INTO pql VALUES (1001, 'new.lead@example.com', 'New Lead', 42.0, 'green', 0, '2026-11-24 09:00:00'),
                       (1002, 'Another.Lead@Example.com', 'Another Lead', 77.5, 'yellow', 1, '2026-11-24 09:00:00');
