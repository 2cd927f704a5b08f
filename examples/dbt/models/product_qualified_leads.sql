-- Product-qualified leads: the example warehouse's pql table as a dbt model (a view).
select email, first_name, pql_score, health_tier, is_customer, updated_at
from {{ source('app', 'pql') }}
