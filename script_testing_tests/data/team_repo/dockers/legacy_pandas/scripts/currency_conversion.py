"""Convert currency columns to USD (written for pandas 1.x/2.x)."""

import os

import pandas as pd

RATES = {"USD": 1.0, "EUR": 1.08, "JPY": 0.0067}


def main(input_paths, output_paths, environ_vars, job_args):
    col = environ_vars.get("CURRENCY_COLUMN", "currency")
    amount_cols = [c for c in environ_vars.get("AMOUNT_COLUMNS", "amount").split(",") if c]
    src = input_paths["data_input"]
    files = sorted(f for f in os.listdir(src) if f.endswith(".csv"))
    df = pd.concat([pd.read_csv(os.path.join(src, f)) for f in files], ignore_index=True)
    df[col] = df[col].fillna(method="ffill")
    rates = df[col].map(RATES).fillna(1.0)
    df[amount_cols] = df[amount_cols].applymap(float).mul(rates, axis=0)
    out = output_paths["converted_data"]
    os.makedirs(out, exist_ok=True)
    df.to_csv(os.path.join(out, f"{job_args.job_type}_converted.csv"), index=False)
