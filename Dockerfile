FROM python:3.12-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY moderation ./moderation
COPY sql ./sql
RUN pip install --no-cache-dir . && useradd --system --no-create-home moderation
USER moderation
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/readyz').status != 200)"
CMD ["moderation", "serve", "--host", "0.0.0.0", "--port", "8080"]
