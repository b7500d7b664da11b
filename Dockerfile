# Accord: one image for web (gunicorn), Celery workers and beat (docker-compose.yml runs it).
# `make prod-check` runs these same commands natively — it reads them from this file and from
# docker-compose.yml, and a test fails if the image's CMD and the compose web command differ.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN useradd --create-home --uid 10001 accord
COPY . .
# Editable install: settings find templates/ and static/ next to the packages, under /app.
RUN pip install --no-cache-dir -c constraints.txt -e .
# Hashed, compressed static files (whitenoise serves them from /app/staticfiles).
RUN DJANGO_DEBUG=0 DJANGO_SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput
# The code and static files stay root's (read-only to the app); the app runs as `accord`.
USER accord
EXPOSE 8000
# /healthz: 200 while the database answers (governance/health.py). Worker and beat containers
# override this in docker-compose.yml.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["gunicorn", "governance.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60", "--no-control-socket", "--access-logfile", "-"]
