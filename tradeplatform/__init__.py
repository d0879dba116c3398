# The project package is `tradeplatform`, not `platform`: a top-level `platform` package would
# shadow the standard-library module that Celery, kombu and uuid import.
from tradeplatform.celery import app as celery_app

__all__ = ["celery_app"]
