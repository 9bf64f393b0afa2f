"""The ceiling for any FastAPI route on this machine: one `async def` route returning a small
JSON object, served by uvicorn exactly as main.py serves the app (one process, the default
loop and HTTP implementations, so uvloop and httptools when installed, access log on)."""

from __future__ import annotations

import os

import uvicorn
from fastapi import FastAPI

app = FastAPI(title="Benchmark baseline")


@app.get("/")
async def hello() -> dict[str, str | bool]:
    return {"status": "ok", "service": "baseline", "ready": True}


if __name__ == "__main__":
    uvicorn.run(app, host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ["PORT"]), proxy_headers=False)
