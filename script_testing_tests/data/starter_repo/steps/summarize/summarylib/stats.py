def counts(frame, column):
    return {str(k): int(v) for k, v in frame[column].value_counts().items()}
