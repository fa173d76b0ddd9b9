"""The FastAPI app: JSON API under /api, the page at /. Every error is JSON: {"error": "what went wrong"}."""

from __future__ import annotations

import mimetypes
import threading
from importlib import resources
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi import Path as Path_
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import MalformedRangeHeader, RangeNotSatisfiable

from vidseek import __version__
from vidseek import export as transcripts
from vidseek.diarize import speaker_of
from vidseek.errors import NotFound, VidseekError
from vidseek.extractors import page_sources
from vidseek.ids import Named, labels, pick
from vidseek.library import MAX_CONTEXT_S, Library, LLMSettings
from vidseek.pipeline.chapters import VideoSummary
from vidseek.pipeline.retrieve import Hit
from vidseek.server import schemas as s
from vidseek.server.jobs import IndexJobs, Job
from vidseek.server.media import parse_box, region_box, thumbnail, thumbnail_url
from vidseek.server.security import Guard, ServerConfig, token_checker
from vidseek.store.base import EvidenceFilter, StoredVideo
from vidseek.types import Answer, Evidence

ERRORS = {code: {"model": s.ErrorOut} for code in (400, 401, 403, 404, 413, 416, 422, 429, 500, 503)}


def create_app(config: ServerConfig, library: Library | None = None) -> FastAPI:
    lib = library or Library(config.library, config.store, device=config.device)
    jobs = IndexJobs(lib)
    asking = threading.Lock()  # one question at a time: the local LLM is not thread-safe
    # no /docs or /redoc: their pages load scripts from a CDN, which an offline machine cannot reach
    app = FastAPI(title="vidseek", version=__version__, docs_url=None, redoc_url=None,
                  description="Ask questions about indexed videos and get the moments that prove each answer.")
    api = APIRouter(prefix="/api", dependencies=[Depends(token_checker(config))], responses=ERRORS)
    app.add_middleware(Guard, config=config)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such endpoint: {request.method} {request.url.path}"
        return JSONResponse({"error": message}, exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        message = s.PATTERN_MEANS.get((first.get("ctx") or {}).get("pattern"), first.get("msg", "invalid"))
        return JSONResponse({"error": f"{where}: {message}" if where else "invalid request"}, 422)

    @app.exception_handler(VidseekError)
    async def vidseek_error(request: Request, exc: VidseekError) -> JSONResponse:
        # every error meant for the user, in one line, with the status its kind says (errors.py)
        return JSONResponse({"error": str(exc)}, exc.status)

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": f"internal error: {type(exc).__name__}: {str(exc)[:200]}"}, 500)

    def video_of(video_id: str) -> StoredVideo:
        """The video an id names: the whole id, or a prefix as long as the listing shows (vidseek.ids.pick)."""
        found = lib.store.list_videos([video_id]) if len(video_id) == 32 else []
        if found:
            return found[0]
        return pick(video_id, [Named(v.fingerprint, v.path, v) for v in lib.stored_videos()], "")

    def playable_video(video_id: str) -> StoredVideo:
        """A video whose file this server may stream (it lies under a served root)."""
        video = video_of(video_id)
        if not config.playable(video.path):
            if config.under_roots(video.path):  # the CLI's words for it
                raise HTTPException(404, f"'{video.path}' is gone (moved or deleted)")
            raise HTTPException(403, f"'{video.path}' is not under a folder this server may read")
        return video

    # every id a reply names is the one `vidseek ls` shows (Library.ids), and names the video in a request
    def evidence_out(e: Evidence, ids: dict[str, str], hit: Hit | None = None) -> s.EvidenceOut:
        video = ids.get(e.fingerprint, e.fingerprint)
        return s.EvidenceOut(video=video, start=e.start, end=e.end, source=e.source, text=e.text,
                             confidence=e.confidence, score=hit.score if hit else None,
                             neighbour=hit.neighbour if hit else False,
                             thumbnail=thumbnail_url(video, e.start, e.end, region_box(e.meta)),
                             speaker=speaker_of(e) or None,
                             derived=e.derived, context=[evidence_out(c, ids) for c in hit.context] if hit else [])

    def answer_out(answer: Answer) -> s.AnswerOut:
        ids = lib.ids()
        return s.AnswerOut(
            question=answer.question, text=answer.text, choice=answer.choice, mode=answer.mode,
            citations=[s.CitationOut(video=ids.get(c.fingerprint, c.fingerprint), path=c.path, start=c.start,
                                     end=c.end, source=c.source, label=c.label(), playable=config.playable(c.path),
                                     thumbnail=thumbnail_url(ids.get(c.fingerprint, c.fingerprint), c.start, c.end))
                       for c in answer.citations],
            evidence=[evidence_out(e, ids) for e in answer.evidence], notes=answer.notes, timings=answer.timings,
            trace=answer.details.get("trace") or [])

    def job_out(job: Job) -> s.JobOut:
        video = lib.ids().get(job.video, job.video) if job.video else job.video
        return s.JobOut(id=job.id, path=job.path, state=job.state,  # type: ignore[arg-type]
                        stages={k: s.StageOut(done=d, total=t) for k, (d, t) in job.stages.items()},
                        fraction=job.fraction, video=video, counts=job.counts, skipped=job.skipped,
                        notices=job.notices, error=job.error)

    @api.get("/sources", response_model=list[s.SourceOut], summary="The evidence sources, with label and colour")
    def list_sources() -> list[s.SourceOut]:
        return [s.SourceOut(**source) for source in page_sources()]

    @api.get("/videos", response_model=list[s.VideoOut], summary="Indexed videos")
    def list_videos() -> list[s.VideoOut]:
        videos, ids = lib.stored_videos(), lib.ids()
        named = labels(v.path for v in videos)
        return [s.VideoOut(id=ids[v.fingerprint], path=v.path, name=Path(v.path).name, label=named[v.path],
                           duration=v.duration, sources=v.sources, evidence=v.evidence,
                           playable=config.playable(v.path))
                for v in videos]

    @api.get("/videos/{video_id}/evidence", response_model=list[s.EvidenceOut],
             summary="A video's evidence in time order (for the timeline)")
    def video_evidence(video_id: Annotated[str, Path_(max_length=64)],
                       source: Annotated[list[str] | None, Query(max_length=10)] = None) -> list[s.EvidenceOut]:
        video = video_of(video_id)
        rows = lib.store.get(EvidenceFilter(videos=(video.fingerprint,)))
        items = lib.named(sorted((e for _, e in rows if not source or e.source in source),
                                 key=lambda e: (e.start, e.end)))  # enrolled voices by name (voiceprints.py)
        ids = lib.ids()
        return [evidence_out(e, ids) for e in items]

    def summary_out(made: VideoSummary) -> s.SummaryOut:
        ids = lib.ids()
        return s.SummaryOut(video=ids.get(made.fingerprint, made.fingerprint), synopsis=made.synopsis,
                            model=made.model, notes=made.notes,
                            chapters=[s.ChapterOut(start=c.start, end=c.end, title=c.title, summary=c.summary,
                                                   lines=[evidence_out(e, ids) for e in c.lines])
                                      for c in made.chapters])

    # reading and building are two methods: a GET only reads (a page of another site can make the browser send
    # one, with an <img> or a link), a POST builds and passes Guard's Origin check
    @api.get("/videos/{video_id}/summary", response_model=s.SummaryOut,
             summary="A video's synopsis and chapters once built (else 404; POST builds them)")
    def video_summary(video_id: Annotated[str, Path_(max_length=64)]) -> s.SummaryOut:
        video = video_of(video_id)
        with asking:
            made = lib.summary(video.fingerprint, LLMSettings(enabled=config.llm), build=False)
        if made is None:
            raise NotFound(f"no summary of {lib.ids()[video.fingerprint]} yet (a POST to this address builds it, "
                           "or run vidseek summary)")
        return summary_out(made)

    @api.post("/videos/{video_id}/summary", response_model=s.SummaryOut,
              summary="Build a video's synopsis and chapters (with the LLM when the server has one), or the built ones")
    def build_video_summary(video_id: Annotated[str, Path_(max_length=64)]) -> s.SummaryOut:
        video = video_of(video_id)
        with asking:
            made = lib.summary(video.fingerprint, LLMSettings(enabled=config.llm), build=True)
        assert made is not None  # build=True always gives one
        return summary_out(made)

    @api.get("/videos/{video_id}/scenes", response_model=list[s.SceneOut],
             summary="A video's scenes (its shots) with their first words; max: join the shortest down to that many")
    def video_scenes(video_id: Annotated[str, Path_(max_length=64)],
                     most: Annotated[int | None, Query(alias="max", ge=1, le=2000)] = None) -> list[s.SceneOut]:
        video = video_of(video_id)
        shown = lib.ids().get(video.fingerprint, video.fingerprint)
        return [s.SceneOut(index=c.index, start=c.start, end=c.end, said=c.said, shown=c.shown,
                           thumbnail=thumbnail_url(shown, c.start, c.end))
                for c in lib.scenes(video.fingerprint, most)]

    @api.get("/videos/{video_id}/file", summary="The video file, with HTTP range requests for seeking",
             response_class=FileResponse, responses={206: {"description": "Part of the file"}})
    def video_file(video_id: Annotated[str, Path_(max_length=64)], request: Request) -> FileResponse:
        video = playable_video(video_id)
        media_type = mimetypes.guess_type(video.path)[0] or "application/octet-stream"
        wanted = request.headers.get("range")
        if wanted is not None:  # Starlette answers a bad range in plain text: check it here, answer in JSON
            size = Path(video.path).stat().st_size
            try:
                FileResponse._parse_range_header(wanted, size)
            except MalformedRangeHeader as exc:
                raise HTTPException(400, f"range: {exc.content}") from None
            except RangeNotSatisfiable:
                raise HTTPException(416, f"range: {wanted!r} lies outside the file ({size} bytes)",
                                    headers={"Content-Range": f"bytes */{size}"}) from None
        return FileResponse(video.path, media_type=media_type)

    @api.get("/videos/{video_id}/thumbnail", summary="A JPEG of the frame at t seconds",
             response_class=Response, responses={200: {"content": {"image/jpeg": {}}}})
    def video_thumbnail(video_id: Annotated[str, Path_(max_length=64)],
                        t: Annotated[float, Query(ge=0.0, allow_inf_nan=False)] = 0.0,
                        box: Annotated[str | None, Query(max_length=64, description=(
                            "only this part of the frame: x0,y0,x1,y1 as fractions (a region evidence names)"))]
                        = None) -> Response:
        video = playable_video(video_id)
        jpeg = thumbnail(video.path, video.fingerprint, t, lib.cache.layout.thumbnails, video.duration,
                         box=parse_box(box) if box else None)
        return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "max-age=86400"})

    @api.get("/videos/{video_id}/export", summary="The video's speech and subtitles (or other sources) as a file",
             response_class=Response,
             responses={200: {"content": {kind: {} for kind in transcripts.MEDIA_TYPES.values()},
                              "description": "Subtitles (srt, vtt) or a transcript (txt, json, md), as a download"}})
    def video_export(video_id: Annotated[str, Path_(max_length=64)],
                     fmt: Annotated[transcripts.Format, Query(alias="format")] = "srt",
                     source: Annotated[list[s.SourceName] | None, Query(max_length=10)] = None) -> Response:
        video = video_of(video_id)
        rows = lib.store.get(EvidenceFilter(videos=(video.fingerprint,)))
        chosen = transcripts.transcript(lib.ids()[video.fingerprint], video.path, video.duration,
                                        lib.named([e for _, e in rows]), source)  # enrolled voices by name
        name = transcripts.file_name(video.path, fmt)
        return Response(transcripts.render(chosen, fmt), media_type=transcripts.MEDIA_TYPES[fmt],
                        headers={"Content-Disposition": transcripts.content_disposition(name)})

    @api.post("/ask", response_model=s.AnswerOut, summary="Answer a question with citations")
    def ask(body: s.AskIn) -> s.AnswerOut:
        if not body.question.strip():
            raise HTTPException(422, "question: the question is empty")
        video = video_of(body.video).fingerprint if body.video else None
        with asking:
            answer = lib.ask(body.question, body.choices or None, video, body.k, LLMSettings(enabled=config.llm),
                             mode=body.mode, speaker=body.speaker)
        return answer_out(answer)

    @api.get("/search", response_model=s.SearchOut, summary="The k best hits for a query, best first, no answer")
    def search(q: Annotated[str, Query(min_length=1, max_length=2000, pattern=s.NOT_BLANK)],
               video: Annotated[str | None, Query(max_length=64)] = None,
               k: Annotated[int, Query(ge=1, le=100)] = 12,
               context: Annotated[float, Query(ge=0, le=MAX_CONTEXT_S, description=(
                   "Seconds: each hit's evidence this close in time, in its `context`"))] = 0.0,
               derived: Annotated[bool, Query(description=(
                   "Also search the chapters and synopsis a model wrote (marked derived)"))] = False,
               speaker: Annotated[str | None, Query(max_length=100, description=s.SPEAKER_HELP)] = None,
               ) -> s.SearchOut:
        fingerprint = video_of(video).fingerprint if video else None
        hits = lib.search(q, k, fingerprint, context=context, derived=derived, speaker=speaker)
        ids = lib.ids()
        return s.SearchOut(hits=[evidence_out(h.evidence, ids, h) for h in hits])

    @api.post("/index", response_model=s.JobOut, status_code=202, summary="Index a file under a served root")
    def index(body: s.IndexIn) -> s.JobOut:
        path = config.allowed(body.path)
        return job_out(jobs.start(path, body.sources))

    @api.get("/jobs", response_model=list[s.JobOut], summary="Index jobs, newest last")
    def list_jobs() -> list[s.JobOut]:
        return [job_out(j) for j in list(jobs.jobs.values())]

    @api.get("/jobs/{job_id}", response_model=s.JobOut, summary="One index job's state and progress")
    def job_status(job_id: Annotated[str, Path_(max_length=64)]) -> s.JobOut:
        job = jobs.jobs.get(job_id)
        if job is None:
            raise NotFound(f"no job '{job_id}'")
        return job_out(job)

    app.include_router(api)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> HTMLResponse:
        return HTMLResponse(_static("index.html"))

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name not in {"app.js", "style.css"}:
            raise HTTPException(404, f"no such file: {name}")
        kind = "text/javascript" if name.endswith(".js") else "text/css"
        return Response(_static(name), media_type=kind)

    app.state.api = api  # its routes are the API the OpenAPI schema describes
    app.state.jobs = jobs
    app.state.library = lib
    return app


def _static(name: str) -> str:
    return resources.files("vidseek.server").joinpath("static", name).read_text(encoding="utf-8")
