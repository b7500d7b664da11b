# Accord: one image for web (gunicorn), Celery workers and beat.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY . .
# Editable install: settings find templates/ and static/ next to the packages, under /app.
RUN pip install --no-cache-dir -c constraints.txt -e .
RUN DJANGO_DEBUG=0 DJANGO_SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput
RUN useradd --create-home accord && chown -R accord /app
USER accord
EXPOSE 8000
CMD ["gunicorn", "governance.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", "--no-control-socket"]
