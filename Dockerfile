# Production-like image: gunicorn serves the web, the same image runs the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=tradeplatform.settings \
    DJANGO_STATIC_ROOT=/app/staticfiles

# Pango and HarfBuzz-Subset for weasyprint PDFs (fast subsetting of the large CJK fonts), CJK fonts so
# Chinese renders in them, gettext for translations.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk gettext curl \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
RUN DJANGO_SECRET_KEY=build-only python manage.py collectstatic --noinput --verbosity 0 \
    && useradd --system --home /app tradeplatform \
    && mkdir -p /data/media /data/private_media && chown -R tradeplatform /data
USER tradeplatform

EXPOSE 8000
CMD ["gunicorn", "tradeplatform.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
