"""Quizzes: question types, banks, attempts, formats (GIFT, Moodle XML, XLSX), statistics."""
