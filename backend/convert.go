package backend

import (
	"google.golang.org/protobuf/proto"

	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// This file converts between the SDK's plain structs and the generated messages. Fields
// are set explicitly, as the C++ plugin does, except where presence carries meaning.

func (b Buddy) proto() *pb.Buddy {
	status := b.Status
	return &pb.Buddy{
		UserName:      &b.User,
		BuddyName:     &b.Name,
		Alias:         &b.Alias,
		Group:         b.Groups,
		Status:        &status,
		StatusMessage: &b.StatusMessage,
		IconHash:      b.IconHash,
		Blocked:       b.Blocked,
	}
}

func buddyFrom(m *pb.Buddy) Buddy {
	return Buddy{
		User:          m.GetUserName(),
		Name:          m.GetBuddyName(),
		Alias:         m.GetAlias(),
		Groups:        m.GetGroup(),
		Status:        m.GetStatus(),
		StatusMessage: m.GetStatusMessage(),
		IconHash:      m.IconHash,
		Blocked:       m.Blocked,
	}
}

func (m Message) proto() *pb.ConversationMessage {
	c := &pb.ConversationMessage{
		UserName:  &m.User,
		BuddyName: &m.Buddy,
		Message:   &m.Body,
		Nickname:  &m.Nickname,
		Xhtml:     &m.XHTML,
		Timestamp: &m.Timestamp,
	}
	// The C++ plugin always sets the three flags and sets id only when it has one; doing
	// the same keeps our frames byte-identical to theirs (golden_test.go).
	c.Headline, c.Pm, c.Carbon = &m.Headline, &m.PM, &m.Carbon
	if m.ID != "" {
		c.Id = &m.ID
	}
	for _, a := range m.Attachments {
		c.Attachment = append(c.Attachment,
			&pb.Attachment{Url: &a.URL, MimeType: &a.MimeType, Description: &a.Description})
	}
	// Our extension fields only when used: unchanged frames otherwise.
	if m.ReplaceID != "" {
		c.ReplaceId = proto.String(m.ReplaceID)
	}
	if m.ReplyToID != "" {
		c.ReplyToId, c.ReplyToSender = proto.String(m.ReplyToID), proto.String(m.ReplyToSender)
		if m.ReplyFallbackEnd > 0 {
			c.ReplyFallbackEnd = proto.Uint32(uint32(m.ReplyFallbackEnd))
		}
	}
	return c
}

func (e Event) proto() *pb.ConversationMessage {
	c := &pb.ConversationMessage{UserName: proto.String(e.User), BuddyName: proto.String(e.Buddy), Message: proto.String("")}
	if e.Nickname != "" {
		c.Nickname = proto.String(e.Nickname)
	}
	if e.ID != "" {
		c.Id = proto.String(e.ID)
	}
	switch {
	case e.ReactTo != "":
		c.ReactToId, c.Reaction = proto.String(e.ReactTo), e.Reactions
	case e.Retract != "":
		c.RetractId = proto.String(e.Retract)
	case e.Displayed != "":
		c.DisplayedId = proto.String(e.Displayed)
	}
	return c
}

func eventFrom(c *pb.ConversationMessage) Event {
	return Event{User: c.GetUserName(), Buddy: c.GetBuddyName(), Nickname: c.GetNickname(), ID: c.GetId(),
		ReactTo: c.GetReactToId(), Reactions: c.GetReaction(), Retract: c.GetRetractId(), Displayed: c.GetDisplayedId()}
}

func messageFrom(c *pb.ConversationMessage) Message {
	m := Message{
		User:             c.GetUserName(),
		Buddy:            c.GetBuddyName(),
		Body:             c.GetMessage(),
		Nickname:         c.GetNickname(),
		XHTML:            c.GetXhtml(),
		Timestamp:        c.GetTimestamp(),
		ID:               c.GetId(),
		Headline:         c.GetHeadline(),
		PM:               c.GetPm(),
		Carbon:           c.GetCarbon(),
		ReplaceID:        c.GetReplaceId(),
		ReplyToID:        c.GetReplyToId(),
		ReplyToSender:    c.GetReplyToSender(),
		ReplyFallbackEnd: int(c.GetReplyFallbackEnd()),
	}
	for _, a := range c.GetAttachment() {
		m.Attachments = append(m.Attachments,
			Attachment{URL: a.GetUrl(), MimeType: a.GetMimeType(), Description: a.GetDescription()})
	}
	return m
}

func (p Participant) proto() *pb.Participant {
	flags, status := int32(p.Flags), p.Status
	m := &pb.Participant{
		UserName:      &p.User,
		Room:          &p.Room,
		Nickname:      &p.Nickname,
		Flag:          &flags,
		Status:        &status,
		StatusMessage: &p.StatusMessage,
		Newname:       &p.NewName,
		Alias:         &p.Alias,
	}
	// Like the C++ plugin: iconHash only when there is one (a present empty hash would
	// announce "no avatar").
	if p.IconHash != "" {
		m.IconHash = &p.IconHash
	}
	if p.Affiliation != "" {
		m.Affiliation = &p.Affiliation // our extension: absent unless set
	}
	return m
}

func (v VCard) proto() *pb.VCard {
	return &pb.VCard{
		UserName:  &v.User,
		BuddyName: &v.Buddy,
		Id:        &v.ID,
		Fullname:  &v.FullName,
		Nickname:  &v.Nickname,
		Photo:     v.Photo,
	}
}

func roomFrom(r *pb.Room) Room {
	return Room{User: r.GetUserName(), Room: r.GetRoom(), Nickname: r.GetNickname(), Password: r.GetPassword()}
}

func loginFrom(l *pb.Login) Login {
	return Login{
		User:        l.GetUser(),
		LegacyName:  l.GetLegacyName(),
		Password:    l.GetPassword(),
		Settings:    l.GetSettings().GetValue(),
		ExtraFields: l.GetExtraFields(),
	}
}
