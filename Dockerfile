# The app image (web and bridge); FreeSWITCH runs from an image of its own (see compose.yaml).
FROM python:3.11-slim
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir -e .
EXPOSE 8000
