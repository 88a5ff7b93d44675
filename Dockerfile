# One image for web, worker, beat and the ActionKit sandbox; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VAR_DIR=/app/var

WORKDIR /app
RUN groupadd --system app && useradd --system --gid app --home-dir /app app

# Dependencies first, so a code change does not reinstall them. constraints.txt pins what CI tested.
COPY pyproject.toml constraints.txt ./
RUN pip install -c constraints.txt .

COPY . .
# Collect and compress static files at build time with throwaway production settings (nothing here is kept:
# the real secrets come from the environment at run time).
RUN ENVIRONMENT=production ALLOWED_HOSTS=build SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    SECRETS_FERNET_KEYS="$(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
    DATABASE_URL=sqlite:////tmp/build.sqlite3 python manage.py collectstatic --noinput -v 0 \
    && rm -f /tmp/build.sqlite3 && mkdir -p /app/var && chown -R app:app /app/var

USER app
EXPOSE 8000
CMD ["python", "-m", "gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--threads", "4"]
