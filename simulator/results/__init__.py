"""What a run leaves behind: records (tables), KPIs, the files of a run folder and the report."""
