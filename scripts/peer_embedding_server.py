#!/usr/bin/env python3
"""The peer of `zoo serve` for scripts/serve_load.py: sentence-transformers on CPU PyTorch behind
a minimal asyncio HTTP/1.1 server (keep-alive) with the same dynamic batching as zoo: requests
waiting together are encoded as one `model.encode` call of up to --max-batch inputs.

    python3 scripts/peer_embedding_server.py --port 8081 --model ~/.cache/zoo/models/all-MiniLM-L6-v2

POST /v1/embeddings takes OpenAI's request ({"model", "input"}) and answers OpenAI's response;
GET /health answers {"status": "ok"}. Standard library plus torch and sentence-transformers.
"""
import argparse
import asyncio
import json


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--max-batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import torch
    from sentence_transformers import SentenceTransformer
    torch.set_num_threads(args.threads)
    model = SentenceTransformer(args.model, device="cpu")
    queue = asyncio.Queue()
    loop = asyncio.get_running_loop()

    async def batcher():
        while True:
            jobs = [await queue.get()]
            count = len(jobs[0][0])
            while not queue.empty() and count + len(queue._queue[0][0]) <= args.max_batch:
                job = queue.get_nowait()
                jobs.append(job)
                count += len(job[0])
            texts = [t for job in jobs for t in job[0]]
            rows = await loop.run_in_executor(None, lambda: model.encode(texts, batch_size=len(texts), convert_to_numpy=True))
            offset = 0
            for inputs, future in jobs:
                future.set_result(rows[offset:offset + len(inputs)].tolist())
                offset += len(inputs)

    async def handle(reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {l.split(":", 1)[0].strip().lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                status, payload = 200, {"status": "ok"}
                if method == "POST" and path == "/v1/embeddings":
                    request = json.loads(body)
                    inputs = request["input"] if isinstance(request["input"], list) else [request["input"]]
                    future = loop.create_future()
                    await queue.put((inputs, future))
                    rows = await future
                    payload = {"object": "list", "model": request["model"],
                               "data": [{"object": "embedding", "index": i, "embedding": r} for i, r in enumerate(rows)],
                               "usage": {"prompt_tokens": 0, "total_tokens": 0}}
                elif path != "/health":
                    status, payload = 404, {"error": {"message": "no route"}}
                data = json.dumps(payload).encode()
                writer.write(f"HTTP/1.1 {status} OK\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n".encode() + data)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionResetError):
            pass
        finally:
            writer.close()

    asyncio.create_task(batcher())
    server = await asyncio.start_server(handle, "127.0.0.1", args.port, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
