"""Imports every feature's models, so the metadata (and Alembic) sees all tables."""

from academy.audit import models as audit_models  # noqa: F401
from academy.auth import models as auth_models  # noqa: F401
from academy.catalog import models as catalog_models  # noqa: F401
from academy.jobs import models as jobs_models  # noqa: F401
from academy.learning import models as learning_models  # noqa: F401
from academy.observations import models as observation_models  # noqa: F401
from academy.org import models as org_models  # noqa: F401
from academy.quizzes import models as quiz_models  # noqa: F401
from academy.scenarios import models as scenario_models  # noqa: F401
