"""Settings, read from the environment (prefix ``FRONTDESK_``) and an optional ``.env`` file.

Every field here is documented in ``docs/configuration.md``; keep the two in step.
"""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FRONTDESK_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # Where state lives.
    database_url: str = "sqlite+aiosqlite:///./var/frontdesk.db"
    redis_url: str | None = None
    data_dir: Path = Path("./var")

    # HTTP.
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = "http://127.0.0.1:8000"
    cors_origins: list[str] = Field(default_factory=list)
    max_body_bytes: int = 1_048_576
    # Uploads (widget attachments) may be larger than other request bodies, up to this.
    attachment_max_bytes: int = 10_485_760
    trust_forwarded_for: bool = False

    # Secrets. ``secret_key`` signs our tokens; when unset, a key is generated once and kept in
    # ``data_dir/secret.key`` so restarts keep sessions valid.
    secret_key: SecretStr | None = None
    access_token_minutes: int = 15
    refresh_token_days: int = 30
    invitation_days: int = 7
    password_reset_minutes: int = 60
    argon2_memory_kib: int = 65536
    argon2_time_cost: int = 3

    # Email. With no SMTP host, mail is written to the log and kept in the outbox table.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    smtp_use_tls: bool = False
    smtp_timeout_seconds: float = 10.0
    mail_from: str = "Frontdesk <frontdesk@localhost>"

    # Durable background work.
    run_sweeper: bool | None = None
    sweep_interval_seconds: float = 0.5
    sweep_batch: int = 200
    job_lease_seconds: int = 60
    job_max_attempts: int = 8
    job_concurrency: int = 32
    # Finished job rows are deleted after this many days (failed ones are kept for inspection).
    job_retention_days: int = 7
    # The Redis list that carries job ids to ``frontdesk worker`` processes (distributed mode). Give each
    # installation sharing one Redis its own name; it also names the channel that wakes their sweepers.
    job_queue: str = "frontdesk:jobs"

    # Rate limits (``limits`` notation, e.g. ``10/minute``).
    rate_limit_enabled: bool = True
    rate_limit_auth: str = "10/minute"
    rate_limit_api_key: str = "600/minute"
    rate_limit_user: str = "1200/minute"
    rate_limit_widget: str = "30/minute"
    org_quota_hourly: int = 500
    org_quota_daily: int = 2000

    # External identity: JWTs minted by a host application's identity service.
    external_jwt_issuer: str | None = None
    external_jwt_audience: str | None = None
    external_jwt_jwks_url: str | None = None
    external_jwt_secret: SecretStr | None = None
    external_jwt_algorithms: list[str] = Field(default_factory=lambda: ["RS256"])
    external_jwt_claim_email: str = "email"
    external_jwt_claim_name: str = "name"
    external_jwt_claim_org: str = "org"
    external_jwt_claim_role: str = "role"
    external_jwt_default_role: str = "agent"

    # OpenID Connect login.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_scopes: str = "openid email profile"
    oidc_button_label: str = "Sign in with single sign-on"
    oidc_allow_signup: bool = False

    # Outbound HTTP: deliveries to loopback/private addresses are refused unless allowed.
    allow_private_network_targets: bool = False

    # AI providers (assistant/providers): keys taken from the environment when an organization's provider
    # stores none, private base URLs for self-hosted models, defaults for new providers, price overrides.
    openai_api_key: SecretStr | None = None
    anthropic_api_key: SecretStr | None = None
    google_api_key: SecretStr | None = None
    ai_allow_private_base_urls: bool = False
    ai_timeout_seconds: float = 30.0
    ai_max_retries: int = 2
    # Model name -> [USD per million input tokens, USD per million output tokens]; wins over the built-in table.
    ai_prices: dict[str, list[float]] = Field(default_factory=dict)

    # WhatsApp channel and the durable outbox (channels/whatsapp, channels/outbox).
    whatsapp_graph_url: str = "https://graph.facebook.com"
    whatsapp_api_version: str = "23.0"
    whatsapp_media_max_bytes: int = 16_777_216
    whatsapp_timeout_seconds: float = 15.0
    outbox_max_attempts: int = 12
    outbox_max_backoff_seconds: float = 300.0
    outbox_backoff_base_seconds: float = 1.0

    # Leads (leads/): exports and daily reports are files under ``data_dir/leads``, written in batches.
    lead_export_batch_size: int = 1000
    lead_export_keep_days: int = 7
    lead_report_keep_days: int = 90

    # Bot flows (flows/): steps an execution may take without waiting, whether webhook_action nodes may
    # call private addresses, how many contacts one scheduled run may start, regex triggers per organization.
    flows_max_steps: int = 200
    flows_allow_private_targets: bool = False
    flows_schedule_max_contacts: int = 10_000
    flows_max_regex_triggers: int = 100

    # Meetings (scheduling/): Google Calendar OAuth client and endpoints, timeout of calendar servers.
    google_client_id: str | None = None
    google_client_secret: SecretStr | None = None
    google_oauth_authorize_url: str = "https://accounts.google.com/o/oauth2/v2/auth"
    google_oauth_token_url: str = "https://oauth2.googleapis.com/token"
    google_calendar_api_url: str | None = None
    calendar_timeout_seconds: float = 10.0

    # Analytics: how long stored aggregates are kept (raw data is never touched by this).
    analytics_hourly_retention_days: int = 7
    analytics_daily_retention_days: int = 90

    # Logging.
    log_level: str = "INFO"
    log_json: bool = True

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        # Operators paste the URLs their tools use; pick the async drivers for them.
        if value.startswith("postgres://"):
            value = "postgresql://" + value.removeprefix("postgres://")
        if value.startswith("postgresql://"):
            value = "postgresql+asyncpg://" + value.removeprefix("postgresql://")
        if value.startswith("sqlite:///"):
            value = "sqlite+aiosqlite:///" + value.removeprefix("sqlite:///")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def distributed(self) -> bool:
        return bool(self.redis_url)

    @property
    def sweeper_enabled(self) -> bool:
        """Embedded mode sweeps in ``serve``; distributed mode leaves it to ``frontdesk worker``."""
        if self.run_sweeper is not None:
            return self.run_sweeper
        return not self.distributed

    @cached_property
    def signing_key(self) -> str:
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.data_dir / "secret.key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key
