"""Excel exports of the evaluation, one module per part of the cycle; they take selector output
and return a workbook."""
