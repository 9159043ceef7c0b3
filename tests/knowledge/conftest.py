from tests.web.conftest import owner_web, web  # noqa: F401  (the page tests' browsers)
