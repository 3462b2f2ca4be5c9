/* Remote video: WebRTC in the browser, signalling through the hall's own API (rows, short polling).
   The caller sends the offer as soon as the call is placed; the callee answers it after taking the call.
   ICE candidates are trickled both ways; those arriving before the remote description are queued.
   window.videoCall exposes the running call (its RTCPeerConnection) for the browser tests. */
(function () {
  "use strict";

  var STATUS_TEXT = {
    ringing: "正在呼叫，等待接听…",
    connecting: "正在接通…",
    active: "通话中",
    ended: "通话已结束",
    missed: "无人接听，未接通"
  };

  function $(id) { return document.getElementById(id); }

  function api(url, options) {
    options = options || {};
    var headers = {"Accept": "application/json"};
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    if (options.csrf) headers["X-CSRFToken"] = options.csrf;
    return fetch(url, {
      method: options.method || "GET",
      headers: headers,
      body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
      credentials: "same-origin",
      cache: "no-store"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.detail || ("HTTP " + response.status));
          error.status = response.status;
          throw error;
        }
        return data;
      });
    });
  }

  /* A lost signal breaks the call: retry a server error or a dropped connection (not a refusal) a few times. */
  function retrying(attempt, times) {
    return attempt().catch(function (error) {
      if (times <= 1 || (error.status && error.status < 500)) throw error;
      return new Promise(function (resolve) { setTimeout(resolve, 300); }).then(function () {
        return retrying(attempt, times - 1);
      });
    });
  }

  function showError(message) {
    var box = $("call-error");
    if (box) box.textContent = message || "";
  }

  function getMedia() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      return Promise.reject(new Error("此浏览器无法使用摄像头：请使用 https 地址或本机地址打开本页（摄像头需要安全连接）。"));
    }
    return navigator.mediaDevices.getUserMedia({video: true, audio: true}).catch(function (error) {
      throw new Error("无法打开摄像头或麦克风（" + (error.name || error) + "）。请检查设备并允许本页使用。");
    });
  }

  /* One call from this side. info: the API's CallOut (side, signals_url, hangup_url, poll_ms, ice_servers). */
  function Session(info, stream, root, csrf) {
    var self = this;
    this.info = info;
    this.stream = stream;
    this.csrf = csrf;
    this.root = root;
    this.lastId = 0;
    this.pending = [];
    this.sending = Promise.resolve();
    this.status = info.status;
    this.done = false;
    this.activeSince = null;
    this.pc = new RTCPeerConnection({iceServers: info.ice_servers || []});
    stream.getTracks().forEach(function (track) { self.pc.addTrack(track, stream); });
    this.pc.ontrack = function (event) {
      var remote = $("remote-video");
      if (remote && remote.srcObject !== event.streams[0]) remote.srcObject = event.streams[0];
      if (event.track.kind === "video") self.startRecording(event.streams[0]);
    };
    this.pc.onconnectionstatechange = function () {
      if (self.pc.connectionState === "failed" && !self.done) {
        showError("连接已中断。");
        self.hangup();
      }
    };
    this.pc.onicecandidate = function (event) {
      if (event.candidate) self.send("ice", event.candidate.toJSON());
    };
    $("local-video").srcObject = stream;
    root.hidden = false;
    $("btn-hangup").hidden = false;
    $("btn-hangup").disabled = false;
    $("btn-hangup").onclick = function () { self.hangup(); };
    var share = $("btn-share");
    if (share && root.dataset.share && navigator.mediaDevices.getDisplayMedia) {
      share.hidden = false;
      share.disabled = false;
      share.onclick = function () { self.toggleShare(); };
    }
    var link = $("consultation-link");
    if (link && info.consultation_url) {
      link.href = info.consultation_url;
      link.hidden = false;
    }
    if (info.recorded && info.side === "caller") {
      var note = $("recording-note");
      note.hidden = false;
      note.textContent = "● 本次通话将被录制（您已同意）";
    }
    window.videoCall = this;
    this.show(info.status);
    if (info.side === "caller") this.offer();
    this.poll();
    this.timer = setInterval(function () { self.tick(); }, 1000);
  }

  Session.prototype.show = function (status) {
    this.status = status;
    $("call-status").textContent = STATUS_TEXT[status] || status;
    this.root.dataset.status = status;
    if (status === "active" && !this.activeSince) this.activeSince = Date.now();
  };

  Session.prototype.tick = function () {
    if (!this.activeSince || this.done) return;
    var s = Math.floor((Date.now() - this.activeSince) / 1000);
    $("call-duration").textContent = Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2);
  };

  /* Signals go out one after another, so the other side reads them in the order they were made. */
  Session.prototype.send = function (kind, payload) {
    var self = this;
    this.sending = this.sending.then(function () {
      if (self.done) return null;
      return retrying(function () {
        return api(self.info.signals_url, {method: "POST", body: {kind: kind, payload: payload}, csrf: self.csrf});
      }, 3).catch(function (error) { if (error.status !== 409) showError(error.message); });
    });
    return this.sending;
  };

  Session.prototype.offer = function () {
    var self = this;
    this.pc.createOffer().then(function (offer) {
      return self.pc.setLocalDescription(offer);
    }).then(function () {
      var d = self.pc.localDescription;
      self.send("offer", {type: d.type, sdp: d.sdp});
    }).catch(function (error) { showError("建立连接失败：" + error); });
  };

  Session.prototype.flushCandidates = function () {
    var self = this;
    var queued = this.pending;
    this.pending = [];
    return Promise.all(queued.map(function (c) { return self.pc.addIceCandidate(c).catch(function () {}); }));
  };

  Session.prototype.handle = function (signal) {
    var self = this;
    var pc = this.pc;
    if (signal.kind === "offer") {
      return pc.setRemoteDescription(signal.payload).then(function () {
        return self.flushCandidates();
      }).then(function () {
        return pc.createAnswer();
      }).then(function (answer) {
        return pc.setLocalDescription(answer);
      }).then(function () {
        var d = pc.localDescription;
        self.send("answer", {type: d.type, sdp: d.sdp});
      });
    }
    if (signal.kind === "answer") {
      return pc.setRemoteDescription(signal.payload).then(function () { return self.flushCandidates(); });
    }
    if (signal.kind === "ice") {
      if (pc.remoteDescription) return pc.addIceCandidate(signal.payload).catch(function () {});
      this.pending.push(signal.payload);
    }
    return Promise.resolve();
  };

  Session.prototype.poll = function () {
    var self = this;
    if (this.done) return;
    api(this.info.signals_url + "?after=" + this.lastId, {csrf: this.csrf}).then(function (data) {
      // A poll answered before our own hang-up may arrive after it: its "active" must not bring the call back.
      if (self.done) return;
      var chain = Promise.resolve();
      data.signals.forEach(function (signal) {
        self.lastId = Math.max(self.lastId, signal.id);
        chain = chain.then(function () { return self.handle(signal); });
      });
      return chain.then(function () {
        if (self.done) return;
        if (data.status === "ended" || data.status === "missed") {
          self.finish(data);
        } else {
          self.show(data.status);
        }
      });
    }).catch(function (error) {
      showError(error.message);
    }).then(function () {
      if (!self.done) setTimeout(function () { self.poll(); }, self.info.poll_ms || 500);
    });
  };

  Session.prototype.hangup = function () {
    var self = this;
    $("btn-hangup").disabled = true;
    retrying(function () { return api(self.info.hangup_url, {method: "POST", csrf: self.csrf}); }, 3).then(function (data) {
      self.finish(data);
    }).catch(function (error) {
      $("btn-hangup").disabled = false;
      showError(error.message);
    });
  };

  Session.prototype.toggleShare = function () {
    var self = this;
    var share = $("btn-share");
    var sender = this.pc.getSenders().find(function (s) { return s.track && s.track.kind === "video"; });
    var camera = this.stream.getVideoTracks()[0];
    if (!sender) return;
    if (this.screen) {
      this.screen.stop();
      this.screen = null;
      sender.replaceTrack(camera);
      share.setAttribute("aria-pressed", "false");
      share.textContent = "共享屏幕";
      return;
    }
    navigator.mediaDevices.getDisplayMedia({video: true}).then(function (display) {
      var track = display.getVideoTracks()[0];
      self.screen = track;
      track.onended = function () { if (self.screen === track) self.toggleShare(); };
      share.setAttribute("aria-pressed", "true");
      share.textContent = "停止共享";
      return sender.replaceTrack(track);
    }).catch(function (error) { showError("无法共享屏幕（" + (error.name || error) + "）。"); });
  };

  /* Recording: only when the server says this side may record (the hall allows it and the citizen agreed).
     The citizen's picture with both voices, at a modest bit rate; uploaded once when the call ends. */
  var RECORDING_LIMIT = 25 * 1024 * 1024;

  Session.prototype.startRecording = function (remote) {
    var self = this;
    if (!this.info.recording_url || this.recorder || !window.MediaRecorder) return;
    var tracks = remote.getVideoTracks();
    try {
      var audio = new AudioContext();
      var mix = audio.createMediaStreamDestination();
      [remote, this.stream].forEach(function (s) {
        if (s.getAudioTracks().length) audio.createMediaStreamSource(s).connect(mix);
      });
      tracks = tracks.concat(mix.stream.getAudioTracks());
      this.audio = audio;
    } catch (error) { /* no audio mixing here: the picture alone */ }
    var chunks = [];
    var size = 0;
    var recorder = new MediaRecorder(new MediaStream(tracks), {mimeType: "video/webm", videoBitsPerSecond: 300000});
    recorder.ondataavailable = function (event) {
      if (!event.data || !event.data.size) return;
      chunks.push(event.data);
      size += event.data.size;
      if (size > RECORDING_LIMIT && recorder.state === "recording") recorder.stop();
    };
    recorder.onstop = function () {
      if (self.audio) self.audio.close();
      var note = $("recording-note");
      if (!chunks.length) return;
      var form = new FormData();
      form.append("file", new Blob(chunks, {type: "video/webm"}), "call.webm");
      if (note) note.textContent = "正在保存录像…";
      fetch(self.info.recording_url, {method: "POST", body: form, credentials: "same-origin",
                                      headers: {"X-CSRFToken": self.csrf}}).then(function (response) {
        if (note) note.textContent = response.ok ? "录像已保存" : "录像未能保存（" + response.status + "）";
        document.dispatchEvent(new CustomEvent("video:recorded", {detail: {ok: response.ok}}));
      });
    };
    recorder.start(5000);
    this.recorder = recorder;
    var note = $("recording-note");
    if (note) { note.hidden = false; note.textContent = "● 录制中（办事人已同意）"; }
  };

  Session.prototype.finish = function (data) {
    if (this.done) return;
    this.done = true;
    if (this.recorder && this.recorder.state !== "inactive") this.recorder.stop();
    clearInterval(this.timer);
    this.show(data.status);
    if (data.seconds !== null && data.seconds !== undefined) {
      $("call-duration").textContent = "通话时长 " + Math.floor(data.seconds / 60) + " 分 " + (data.seconds % 60) + " 秒";
    }
    this.stream.getTracks().forEach(function (t) { t.stop(); });
    if (this.screen) this.screen.stop();
    this.pc.close();
    // The call is over: its controls go (a disabled 挂断 or 停止共享 beside "通话已结束" reads as still running).
    $("btn-hangup").disabled = true;
    $("btn-hangup").hidden = true;
    var share = $("btn-share");
    if (share) {
      share.disabled = true;
      share.hidden = true;
      share.setAttribute("aria-pressed", "false");
      share.textContent = "共享屏幕";
    }
    document.dispatchEvent(new CustomEvent("video:ended", {detail: data}));
  };

  /* Closing or leaving the page hangs up, so the other side is not left talking to a frozen picture. */
  window.addEventListener("pagehide", function () {
    var session = window.videoCall;
    if (!session || session.done || !navigator.sendBeacon) return;
    var form = new FormData();
    if (session.csrf) form.append("csrfmiddlewaretoken", session.csrf);
    navigator.sendBeacon(session.info.hangup_url, form);
  });

  function callArea() { return $("video-call"); }

  function busy() { return window.videoCall && !window.videoCall.done; }

  /* The citizen: place a call to the consultation desk (no account; the call's token is the credential). */
  function citizenForm(form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy()) return;
      var button = $("btn-call");
      button.disabled = true;
      showError("");
      var consent = $("call-consent");
      getMedia().then(function (stream) {
        var body = {name: form.elements.name.value, recording_consent: !!(consent && consent.checked)};
        if (form.dataset.booking) body.booking = form.dataset.booking;
        return api(form.dataset.url, {method: "POST", body: body}).then(function (info) {
          new Session(info, stream, callArea(), null);
        }, function (error) {
          stream.getTracks().forEach(function (t) { t.stop(); });
          throw error;
        });
      }).catch(function (error) {
        showError(error.message);
        button.disabled = false;
      });
    });
    document.addEventListener("video:ended", function () { $("btn-call").disabled = false; });
  }

  /* A clerk: call a department's experts, optionally about a case or from a booking. */
  function supportForm(form) {
    var csrf = form.dataset.csrf;
    function place(body) {
      if (busy()) return;
      var button = $("btn-call");
      button.disabled = true;
      showError("");
      getMedia().then(function (stream) {
        return api(form.dataset.url, {method: "POST", body: body, csrf: csrf}).then(function (info) {
          new Session(info, stream, callArea(), csrf);
        }, function (error) {
          stream.getTracks().forEach(function (t) { t.stop(); });
          throw error;
        });
      }).catch(function (error) {
        showError(error.message);
        button.disabled = false;
      });
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = {kind: "support", department: parseInt(form.elements.department.value, 10)};
      var caseNumber = form.elements["case"].value.trim();
      if (caseNumber) body["case"] = caseNumber;
      place(body);
    });
    Array.prototype.forEach.call(document.querySelectorAll(".js-booking-call"), function (button) {
      button.addEventListener("click", function () {
        place({kind: "support", department: parseInt(button.dataset.department, 10),
               booking: parseInt(button.dataset.booking, 10)});
      });
    });
    document.addEventListener("video:ended", function () { $("btn-call").disabled = false; });
  }

  /* Consultants and experts: ringing calls, polled; the first to answer gets the call. */
  function ringingList(list) {
    var csrf = list.dataset.csrf;
    var empty = $("ringing-empty");
    function render(calls) {
      while (list.firstChild) list.removeChild(list.firstChild);
      empty.hidden = calls.length > 0;
      calls.forEach(function (call) {
        var item = document.createElement("li");
        item.dataset.call = call.id;
        var who = document.createElement("span");
        who.textContent = call.caller + (call.department ? " → " + call.department : "");
        if (call.booked) {
          var tag = document.createElement("span");
          tag.className = "tag yes";
          tag.textContent = list.dataset.bookedLabel;
          who.appendChild(document.createTextNode(" "));
          who.appendChild(tag);
        }
        if (call["case"]) {
          var caseTag = document.createElement("span");
          caseTag.className = "tag";
          caseTag.textContent = list.dataset.caseLabel + " " + call["case"];
          who.appendChild(document.createTextNode(" "));
          who.appendChild(caseTag);
        }
        var button = document.createElement("button");
        button.type = "button";
        button.className = "primary answer";
        button.textContent = list.dataset.answerLabel;
        button.disabled = busy();
        button.addEventListener("click", function () { answer(call, button); });
        item.appendChild(who);
        item.appendChild(button);
        list.appendChild(item);
      });
    }
    function answer(call, button) {
      if (busy()) return;
      button.disabled = true;
      showError("");
      getMedia().then(function (stream) {
        return api(call.answer_url, {method: "POST", csrf: csrf}).then(function (info) {
          new Session(info, stream, callArea(), csrf);
          refresh();
        }, function (error) {
          stream.getTracks().forEach(function (t) { t.stop(); });
          throw error;
        });
      }).catch(function (error) {
        showError(error.message);
        refresh();
      });
    }
    function refresh() {
      return api(list.dataset.url, {csrf: csrf}).then(render).catch(function (error) { showError(error.message); });
    }
    function loop() {
      refresh().then(function () { setTimeout(loop, 1000); });
    }
    loop();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var citizen = document.querySelector("[data-video-citizen]");
    if (citizen) citizenForm(citizen);
    var support = document.querySelector("[data-video-support]");
    if (support) supportForm(support);
    var ringing = document.querySelector("[data-video-ringing]");
    if (ringing) ringingList(ringing);
  });
})();
