"""Prometheus metrics. One registry per runtime, so tests and several apps in one process never collide."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "frontdesk_http_requests_total",
            "HTTP requests",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "frontdesk_http_request_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.jobs = Counter("frontdesk_jobs_total", "Jobs finished by state", ["kind", "state"], registry=self.registry)
        self.job_lag = Histogram(
            "frontdesk_job_lag_seconds",
            "Delay between a job's due time and its start",
            ["kind"],
            registry=self.registry,
            buckets=(0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 300),
        )
        self.jobs_waiting = Gauge(
            "frontdesk_jobs_waiting", "Jobs in the table by status", ["status"], registry=self.registry
        )
        self.websockets = Gauge("frontdesk_websockets_open", "Open WebSocket connections", registry=self.registry)

    def job_started(self, kind: str, lag_seconds: float) -> None:
        self.job_lag.labels(kind).observe(lag_seconds)

    def job_finished(self, kind: str, state: str) -> None:
        self.jobs.labels(kind, state).inc()
