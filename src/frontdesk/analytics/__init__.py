"""Analytics: hourly and daily aggregates of what the front desk did, the API over them, dashboards."""
