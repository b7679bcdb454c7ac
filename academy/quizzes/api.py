"""API: question banks (by ``code``): list them, import and export question files.

Instructors and admins only; banks are district-wide, so no org scope applies.
"""

from __future__ import annotations

import io
from typing import Any

from flask import jsonify, request, send_file
from flask.views import MethodView
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from academy.api.common import (
    ErrorDetailSchema,
    NoFile,
    PageArgs,
    Text,
    documented_errors,
    list_envelope,
    paginate,
)
from academy.extensions import db
from academy.permissions import ADMIN, INSTRUCTOR, role_required
from academy.quizzes import services
from academy.quizzes.models import QuestionBank
from academy.timeutil import aware

blp = Blueprint("quizzes_api", __name__, description="Question banks")

BINARY = {"type": "string", "format": "binary"}
# Raw (non-multipart) bodies whose content type names the format.
RAW_FORMATS = {"text/plain": services.GIFT, "application/xml": services.MOODLE_XML,
               "text/xml": services.MOODLE_XML, services.MIMETYPES[services.XLSX]: services.XLSX}


def error_responses(*codes: int):
    """Document error responses (the ``{"error": {...}}`` shape) for an endpoint."""
    return documented_errors(blp, *codes)


# ---------------------------------------------------------------- schemas


class QuestionBankSchema(Schema):
    code = fields.String(required=True)
    title = fields.String(required=True)
    skill = fields.String(required=True, metadata={"description": "The skill's code."})
    skill_name = fields.String(required=True)
    description = fields.String(allow_none=True, required=True)
    question_count = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)


class BankImportArgs(Schema):
    format = Text(metadata={"enum": list(services.IMPORT_FORMATS),
                            "description": "gift, moodle-xml or xlsx; when left out, taken "
                                           "from the uploaded file's name or content type."})
    dry_run = fields.Boolean(load_default=False,
                             metadata={"description": "Validate only, write nothing."})


class BankExportArgs(Schema):
    format = Text(load_default=services.GIFT,
                  metadata={"enum": list(services.EXPORT_FORMATS)})


class QuestionFileProblemSchema(Schema):
    line = fields.Integer(metadata={"description": "GIFT and Moodle XML: the file's line."})
    row = fields.Integer(metadata={"description": "XLSX: the sheet's row (header is row 1)."})
    message = fields.String(required=True)


class QuestionImportReportSchema(Schema):
    imported = fields.Integer(required=True, metadata={
        "description": "Questions created or updated (would be, on a dry run)."})
    created = fields.Integer(required=True)
    updated = fields.Integer(required=True)
    dry_run = fields.Boolean(required=True)
    format = fields.String(required=True)
    categories = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                             metadata={"description": "Questions per category path."})
    errors = fields.List(fields.Nested(QuestionFileProblemSchema), required=True)


class QuestionImportProblemsSchema(Schema):
    """A file with problems: the usual error plus the report listing every problem (an
    invalid query argument answers 422 with the error alone)."""

    error = fields.Nested(ErrorDetailSchema, required=True)
    imported = fields.Integer(metadata={"description": "Always 0: nothing was written."})
    created = fields.Integer()
    updated = fields.Integer()
    dry_run = fields.Boolean()
    format = fields.String()
    categories = fields.Dict(keys=fields.String(), values=fields.Integer())
    errors = fields.List(fields.Nested(QuestionFileProblemSchema))


IMPORT_BODY = {
    "required": True,
    "description": "A question file (GIFT, Moodle XML or the XLSX template): multipart "
                   "with a `file` part, or the raw file as the body.",
    "content": {
        "multipart/form-data": {
            "schema": {"type": "object", "properties": {"file": BINARY}, "required": ["file"]},
        },
        "text/plain": {"schema": BINARY},
        "application/xml": {"schema": BINARY},
        services.MIMETYPES[services.XLSX]: {"schema": BINARY},
    },
}


def bank_dict(bank: QuestionBank, counts: dict[int, int]) -> dict[str, Any]:
    return {"code": bank.code, "title": bank.title, "skill": bank.skill.code,
            "skill_name": bank.skill.name, "description": bank.description,
            "question_count": counts.get(bank.id, 0), "created_at": aware(bank.created_at)}


def read_question_file(args: dict[str, Any]) -> tuple[bytes, str]:
    """The uploaded file and its format, from a multipart ``file`` part or the raw body."""
    fmt = args.get("format")
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise NoFile(_("Attach the question file as a multipart part named file."))
        data = upload.read()
        fmt = fmt or services.format_for_filename(upload.filename or "")
    elif not request.content_length and not request.mimetype:
        raise NoFile(_("No file was sent."))
    else:
        data = request.get_data(cache=False)
        fmt = fmt or RAW_FORMATS.get(request.mimetype)
    if fmt not in services.IMPORT_FORMATS:
        raise services.UnknownFormat(
            _("Say which format the file is in: format=gift, moodle-xml or xlsx."))
    if not data:
        raise NoFile(_("The file is empty."))
    return data, fmt


# ---------------------------------------------------------------- endpoints


@blp.route("/question-banks")
class QuestionBanks(MethodView):
    @role_required(INSTRUCTOR, ADMIN)
    @error_responses(401, 403)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, list_envelope(QuestionBankSchema, "QuestionBankPage"))
    def get(self, args):
        """Question banks by code, each with its skill and number of questions."""
        page = paginate(services.banks_query(), args["page"], args["per_page"])
        counts = services.question_counts()
        page["items"] = [bank_dict(bank, counts) for bank in page["items"]]
        return page


@blp.route("/question-banks/<string:code>/import")
class QuestionBankImport(MethodView):
    @role_required(INSTRUCTOR, ADMIN)
    @error_responses(400, 401, 403, 404, 413, 415)
    @blp.doc(requestBody=IMPORT_BODY)
    @blp.arguments(BankImportArgs, location="query")
    @blp.alt_response(422, schema=QuestionImportProblemsSchema,
                      description="The file has problems; nothing was written.")
    @blp.response(200, QuestionImportReportSchema)
    def post(self, args, code: str):
        """Import questions into a bank: matched by (category, name), updated or created.

        Every problem is reported with its line (GIFT, Moodle XML) or row (XLSX); any
        problem answers 422 and nothing is written. `dry_run=true` only validates.
        """
        bank = services.get_bank(code)
        data, fmt = read_question_file(args)
        report = services.import_questions(bank, data, fmt=fmt, dry_run=args["dry_run"])
        body = report.as_dict()
        if report.errors:
            db.session.rollback()
            message = ngettext("The file has %(num)d problem; nothing was imported.",
                               "The file has %(num)d problems; nothing was imported.",
                               len(report.errors))
            body["error"] = {"code": "invalid_file", "message": message, "fields": {}}
            return jsonify(body), 422
        if report.dry_run:
            db.session.rollback()
        else:
            db.session.commit()
        return body


@blp.route("/question-banks/<string:code>/export")
class QuestionBankExport(MethodView):
    @role_required(INSTRUCTOR, ADMIN)
    @error_responses(401, 403, 404, 415, 422)
    @blp.arguments(BankExportArgs, location="query")
    @blp.doc(responses={"200": {"description": "The bank's questions; exporting twice gives "
                                               "the same bytes.",
                                "content": {"text/plain": {"schema": BINARY},
                                            "application/xml": {"schema": BINARY}}}})
    def get(self, args, code: str):
        """The bank's questions as GIFT or Moodle XML (ordered by category, then position)."""
        bank = services.get_bank(code)
        fmt = args["format"]
        if fmt not in services.EXPORT_FORMATS:
            raise services.UnknownFormat(_("Export as format=gift or moodle-xml."))
        data = services.export_bank(bank, fmt)
        return send_file(io.BytesIO(data), mimetype=services.MIMETYPES[fmt], as_attachment=True,
                         download_name=services.export_filename(bank, fmt), max_age=0)
