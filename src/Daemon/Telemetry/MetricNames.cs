namespace Sync.Daemon.Telemetry;

/// <summary>
/// Every metric name as Prometheus shows it (checked by scraping in the tests). Follows chrony_exporter and
/// node_exporter: base units in the name (_seconds, _ppms), counters end in _total.
/// </summary>
public static class MetricNames
{
    public const string MeterName = "virtsync";

    public const string BuildInfo = "virtsync_build_info";

    // The process, in every mode (names of the Prometheus client libraries' process collector).
    public const string ProcessCpuSecondsTotal = "process_cpu_seconds_total";
    public const string ProcessResidentMemoryBytes = "process_resident_memory_bytes";
    public const string ProcessOpenFds = "process_open_fds";
    public const string ProcessStartTimeSeconds = "process_start_time_seconds";
    public const string DotnetGcCollectionsTotal = "dotnet_gc_collections_total";
    public const string DotnetGcHeapBytes = "dotnet_gc_heap_bytes";
    public const string DotnetGcPauseSecondsTotal = "dotnet_gc_pause_seconds_total";

    public const string OffsetSeconds = "virtsync_offset_seconds";
    public const string RmsOffsetSeconds = "virtsync_rms_offset_seconds";
    public const string FrequencyPpms = "virtsync_frequency_ppms";
    public const string ResidualFrequencyPpms = "virtsync_residual_frequency_ppms";
    public const string SkewPpms = "virtsync_skew_ppms";
    public const string ErrorBoundSeconds = "virtsync_error_bound_seconds";
    public const string LeapStatus = "virtsync_leap_status";
    public const string TaiOffsetSeconds = "virtsync_tai_offset_seconds";
    public const string ObservedTaiMinusUtcSeconds = "virtsync_observed_tai_minus_utc_seconds";
    public const string ObservedTaiMinusUtcDisagrees = "virtsync_observed_tai_minus_utc_disagrees";
    public const string SyncState = "virtsync_sync_state";
    public const string UpdateIntervalSeconds = "virtsync_update_interval_seconds";
    public const string NoMajority = "virtsync_no_majority";
    public const string StepsTotal = "virtsync_steps_total";
    public const string ForeignWriterDetectionsTotal = "virtsync_foreign_writer_detections_total";
    public const string VmClockDisruptionsTotal = "virtsync_vmclock_disruptions_total";

    public const string SourceReachability = "virtsync_source_reachability";
    public const string SourceDelaySeconds = "virtsync_source_delay_seconds";
    public const string SourceOffsetSeconds = "virtsync_source_offset_seconds";
    public const string SourceSelected = "virtsync_source_selected";
    public const string SourceReadingMethod = "virtsync_source_reading_method";
    public const string SourceSamplesTotal = "virtsync_source_samples_total";
    public const string SourceWindowSeconds = "virtsync_source_window_seconds";
    public const string SourceCorrectedOffsetSeconds = "virtsync_source_corrected_offset_seconds";
    public const string SourceCalibrationSeconds = "virtsync_source_calibration_seconds";
    public const string SourceAllowanceSeconds = "virtsync_source_asymmetry_allowance_seconds";
    public const string SourceFalseticker = "virtsync_source_falseticker";
    public const string SourceReadTimeoutsTotal = "virtsync_source_read_timeouts_total";

    public const string ChronySamplesSentTotal = "virtsync_chrony_samples_sent_total";
    public const string ChronySamplesDroppedTotal = "virtsync_chrony_samples_dropped_total";
    public const string ChronyFeeding = "virtsync_chrony_feeding";

    public const string ServeRequestsTotal = "virtsync_serve_requests_total";
    public const string ServeRequestDurationSeconds = "virtsync_serve_request_duration_seconds";
    public const string ServeConnections = "virtsync_serve_connections";
    public const string ServeAlarmsFiredTotal = "virtsync_serve_alarms_fired_total";
    public const string ServeConnectionsRefusedTotal = "virtsync_serve_connections_refused_total";
}
