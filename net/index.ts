/**
 * `lattice-ipc/net`: the portable network layers (sans-IO; docs/ARCHITECTURE.md, docs/WIRE.md).
 *
 * The driver frames packets onto an injected `Transport` (UDP datagrams or TCP streams), the
 * packet port is what the layers above it see, and the network server carries a node's messages,
 * calls and notifications to and from other nodes. Real sockets are in `lattice-ipc/node`
 * (`node_net_env`); the simulator supplies its own transport. Nothing here imports a Node module.
 */
export {
  NetDriver,
  NetSystemError,
  Proto,
  RECONNECT_ERRORS,
  type NetConfig,
  type NetEnv,
  type NetStats,
} from './driver.js';
export type { Address, Timers, Transport, TransportEvents } from './transport.js';
export type { FramePort, FrameReceiver, PacketPort, PacketReceiver, PeerState, SendResult } from './packet_port.js';
export type { Packet } from './packet_queue.js';
export {
  NetworkServer,
  type NetworkServerOptions,
  type NetworkServerStats,
  type RemoteCallStats,
} from './network_server.js';
export {
  NodeNetwork,
  attach_egress,
  open_packet_port,
  type NodeNetworkOptions,
  type NodeNetworkStats,
  type OpenPort,
  type SecureOptions,
} from './node_network.js';
export { local_node_id, node_id_hash, type IdentitySource, type InterfaceAddress } from './node_identity.js';
export {
  RemoteKind,
  decode_remote,
  encode_remote,
  remote_header,
  remote_payload,
  type RemoteHeader,
} from './remote_message.js';
export { FRAME_BYTES_MAX_DEFAULT, FRAME_VERSION, FrameType, UDP_DATAGRAM_BYTES_MAX } from './wire_layout.js';
