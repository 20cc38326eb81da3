namespace Sync.Clock.VhostUser;

/// <summary>
/// What handling one vhost-user message came to: Done (acknowledged when the front end asked, REPLY_ACK), Replied (the
/// reply is sent), Failed (refused: a failure acknowledgement, or the connection ends when none can be sent), Fatal
/// (the message is malformed: the connection ends).
/// </summary>
internal enum MessageOutcome { Done, Replied, Failed, Fatal }
