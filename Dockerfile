# Stadtbot image: the API (`stadtbot serve`) and the worker (`stadtbot worker`) from one
# image; compose.yaml shows PostgreSQL + migrate + serve + worker.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /opt/stadtbot
RUN useradd --system --home-dir /var/lib/stadtbot --create-home stadtbot

COPY pyproject.toml README.md ./
COPY bot ./bot
COPY flows ./flows
COPY nlu ./nlu
COPY actions ./actions
COPY api ./api
COPY migrations ./migrations
RUN pip install '.[postgres]' \
    && stadtbot nlu train \
    && chown -R stadtbot /opt/stadtbot

USER stadtbot
ENV HOST=0.0.0.0 PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz').status != 200)"
CMD ["stadtbot", "serve", "--no-migrate"]
